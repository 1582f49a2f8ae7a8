import { useEffect, useRef } from 'preact/hooks';

/**
 * Runs `onChange` when `value` changes after mount — not on mount itself. For a form that follows
 * the address (Back, a link): resetting on mount would wipe what someone typed before the effect ran.
 */
export function useOnChange(value: unknown, onChange: () => void): void {
  const seen = useRef(value);
  useEffect(() => {
    if (seen.current === value) return;
    seen.current = value;
    onChange();
  }, [value]);
}
