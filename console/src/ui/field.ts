import { html } from 'htm/preact';
import type { VNode } from 'preact';

let counter = 0;
/** A stable id for a label/control pair. */
export function uid(prefix = 'f'): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export interface FieldProps {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  type?: string;
  autocomplete?: string;
  required?: boolean;
  hint?: string;
  inputmode?: string;
  id?: string;
  disabled?: boolean;
  pattern?: string;
}

/** A labelled input (label above, optional hint tied with aria-describedby). */
export function Field(props: FieldProps): VNode {
  const id = props.id ?? `field-${props.name}`;
  const hintId = props.hint ? `${id}-hint` : undefined;
  return html`<div class="field">
    <label for=${id}>${props.label}</label>
    <input
      id=${id}
      name=${props.name}
      type=${props.type ?? 'text'}
      value=${props.value}
      autocomplete=${props.autocomplete ?? 'off'}
      required=${props.required ?? false}
      inputmode=${props.inputmode}
      pattern=${props.pattern}
      disabled=${props.disabled ?? false}
      aria-describedby=${hintId}
      onInput=${(event: Event) => props.onInput((event.target as HTMLInputElement).value)}
    />
    ${props.hint ? html`<p class="hint" id=${hintId}>${props.hint}</p>` : null}
  </div>`;
}

/** A labelled checkbox. */
export function Checkbox(props: {
  label: string;
  name: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  id?: string;
}): VNode {
  const id = props.id ?? `check-${props.name}`;
  return html`<div class="check">
    <input
      id=${id}
      type="checkbox"
      name=${props.name}
      checked=${props.checked}
      onChange=${(event: Event) => props.onChange((event.target as HTMLInputElement).checked)}
    />
    <label for=${id}>${props.label}</label>
  </div>`;
}
