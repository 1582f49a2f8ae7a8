import { html } from 'htm/preact';
import { Component, type ComponentChildren } from 'preact';
import { ErrorBanner } from './error-banner';

/**
 * Around each page: a page that throws while rendering shows what went wrong in words instead of
 * leaving a blank screen, and the rest of the console (navigation, sign-out) stays usable. Choosing
 * another page clears it.
 */
export class PageBoundary extends Component<{ path: string; children?: ComponentChildren }, { error: unknown }> {
  state = { error: null as unknown };

  static getDerivedStateFromError(error: unknown): { error: unknown } {
    return { error };
  }

  componentDidUpdate(previous: { path: string }): void {
    if (previous.path !== this.props.path && this.state.error !== null) this.setState({ error: null });
  }

  render(): ComponentChildren {
    if (this.state.error === null) return this.props.children;
    return html`<h1 tabindex="-1">This page could not be shown</h1>
      <${ErrorBanner} error=${this.state.error} />
      <p>Choose another page, or reload the console.</p>
      <button type="button" onClick=${() => location.reload()}>Reload</button>`;
  }
}
