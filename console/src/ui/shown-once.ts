import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * A panel holding something shown only this once (a new token, a client secret, recovery codes). Its
 * heading takes focus when the panel appears, so keyboard and screen-reader users land on what they
 * must copy now rather than miss it above the form they just sent. Give it a `key` that changes
 * with its content, so a second secret focuses again.
 */
export function ShownOnce(props: { headingId: string; title: string; children: unknown }): VNode {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return html`<div class="panel stack" role="region" aria-labelledby=${props.headingId}>
    <h2 id=${props.headingId} ref=${heading} tabindex="-1">${props.title}</h2>
    ${props.children}
  </div>`;
}
