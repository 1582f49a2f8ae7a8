import { useState } from 'preact/hooks';

/**
 * Runs a page's calls one at a time and keeps what the user should read: `error` (shown with
 * ErrorBanner), `notice` (a success line), `busy` (to disable buttons meanwhile).
 *
 * `run(action, done?)` clears both first, then sets the one that applies: the notice is `done`, or
 * the string the action returned.
 */
export function useAction(): {
  busy: boolean;
  error: unknown;
  notice: string | null;
  run: (action: () => Promise<unknown>, done?: string) => Promise<boolean>;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = async (action: () => Promise<unknown>, done?: string): Promise<boolean> => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const said = await action();
      const text = done ?? (typeof said === 'string' ? said : undefined);
      if (text) setNotice(text);
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
