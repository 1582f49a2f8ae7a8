import { useState } from 'preact/hooks';

/**
 * Runs a page's calls one at a time and keeps what the user should read: `error` (shown with
 * ErrorBanner), `notice` (a success line), `busy` (to disable buttons meanwhile).
 */
export function useAction(): {
  busy: boolean;
  error: unknown;
  notice: string | null;
  run: (action: () => Promise<string | void>) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = async (action: () => Promise<string | void>): Promise<boolean> => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const said = await action();
      if (typeof said === 'string') setNotice(said);
      return true;
    } catch (caught) {
      setError(caught);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const clear = () => {
    setError(null);
    setNotice(null);
  };
  return { busy, error, notice, run, clear };
}
