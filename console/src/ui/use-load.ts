import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/**
 * Loads data for a page: `data` once loaded, `error` when the call failed, `reload()` to fetch again.
 * Only the latest call's answer counts: one that comes back after a newer call started (a slow
 * search overtaken by the next, a reload after a change) is dropped, as is any answer after the
 * page has gone.
 */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: unknown[] = [],
): { data: T | undefined; error: unknown; loading: boolean; reload: () => Promise<void> } {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const latest = useRef(0);
  const reload = useCallback(async () => {
    const call = ++latest.current;
    setLoading(true);
    try {
      const loaded = await load();
      if (call !== latest.current) return;
      setData(loaded);
      setError(null);
    } catch (caught) {
      if (call !== latest.current) return;
      setError(caught);
    }
    setLoading(false);
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  useEffect(
    () => () => {
      latest.current += 1;
    },
    [],
  );
  return { data, error, loading, reload };
}
