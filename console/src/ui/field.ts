import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

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

/**
 * A fieldset of checkboxes choosing a subset of `options` (roles, permissions, scopes). Each box's
 * id is `${idPrefix}-${option}`; `empty` is shown instead when there is nothing to choose from.
 */
export function CheckboxGroup(props: {
  legend: string;
  name: string;
  options: string[];
  chosen: string[];
  onChange: (chosen: string[]) => void;
  idPrefix: string;
  layout?: 'stack' | 'choice';
  empty?: string;
}): VNode {
  const { chosen, onChange } = props;
  return html`<fieldset class=${props.layout ?? 'stack'}>
    <legend>${props.legend}</legend>
    ${
      props.options.length === 0 && props.empty
        ? html`<p class="hint">${props.empty}</p>`
        : props.options.map(
            (option) =>
              html`<${Checkbox}
                key=${option}
                id=${`${props.idPrefix}-${option}`}
                name=${props.name}
                label=${option}
                checked=${chosen.includes(option)}
                onChange=${(checked: boolean) => onChange(checked ? [...chosen, option] : chosen.filter((o) => o !== option))}
              />`,
          )
    }
  </fieldset>`;
}

/**
 * A password input with a Show/Hide button beside it (WCAG 3.3.8: people can check what they typed
 * instead of typing it twice). `autocomplete` tells password managers which kind it is:
 * `current-password` or `new-password`. The text goes back to hidden when the form is sent.
 */
export function PasswordField(props: {
  label: string;
  name: string;
  value: string;
  onInput: (value: string) => void;
  autocomplete: 'current-password' | 'new-password';
  hint?: string;
  id?: string;
}): VNode {
  const [shown, setShown] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const form = input.current?.form;
    if (!form) return undefined;
    const hide = () => setShown(false);
    form.addEventListener('submit', hide);
    return () => form.removeEventListener('submit', hide);
  }, []);
  const id = props.id ?? `field-${props.name}`;
  const hintId = props.hint ? `${id}-hint` : undefined;
  return html`<div class="field">
    <label for=${id}>${props.label}</label>
    <div class="password">
      <input
        ref=${input}
        id=${id}
        name=${props.name}
        type=${shown ? 'text' : 'password'}
        value=${props.value}
        autocomplete=${props.autocomplete}
        autocapitalize="off"
        spellcheck=${false}
        required
        aria-describedby=${hintId}
        onInput=${(event: Event) => props.onInput((event.target as HTMLInputElement).value)}
      />
      <button type="button" class="reveal" aria-controls=${id} aria-pressed=${shown} onClick=${() => setShown(!shown)}>
        ${shown ? 'Hide' : 'Show'}<span class="sr-only"> ${props.label.toLowerCase()}</span>
      </button>
    </div>
    ${props.hint ? html`<p class="hint" id=${hintId}>${props.hint}</p>` : null}
  </div>`;
}
