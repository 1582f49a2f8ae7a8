import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type TemplateName = 'password-reset' | 'email-verification' | 'email-changed';

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The templates shipped with Gatehouse (copied next to the build by nest-cli.json). */
const BUILT_IN_DIR = join(__dirname, 'templates');
const DEFAULT_LOCALE = 'en';

/**
 * Small templates: `<dir>/<locale>/<name>.subject|.txt|.html`, with `{{placeholders}}` (escaped in
 * HTML). Looked up in MAIL_TEMPLATES_DIR first, then the built-in ones; for a locale `pt-BR`, then
 * `pt`, then English. Read once and kept.
 */
export class MailTemplates {
  private readonly cache = new Map<string, string | null>();

  constructor(private readonly overrideDir?: string) {}

  render(name: TemplateName, locale: string | null | undefined, values: Record<string, string>): RenderedMail {
    const locales = candidates(locale);
    const part = (extension: string) => {
      for (const candidate of locales) {
        const found = this.read(candidate, `${name}.${extension}`);
        if (found !== null) return found;
      }
      throw new Error(`The mail template ${name}.${extension} is missing`);
    };
    return {
      subject: fill(part('subject'), values, plain).trim(),
      text: fill(part('txt'), values, plain),
      html: fill(part('html'), values, escapeHtml),
    };
  }

  private read(locale: string, file: string): string | null {
    const key = `${locale}/${file}`;
    if (!this.cache.has(key)) {
      const dirs = this.overrideDir ? [this.overrideDir, BUILT_IN_DIR] : [BUILT_IN_DIR];
      const path = dirs.map((dir) => join(dir, locale, file)).find((candidate) => existsSync(candidate));
      this.cache.set(key, path ? readFileSync(path, 'utf8') : null);
    }
    return this.cache.get(key) ?? null;
  }
}

/** `pt-BR` → pt-BR, pt, en. Only well-formed tags (a locale never names a path). */
function candidates(locale: string | null | undefined): string[] {
  const list: string[] = [];
  if (locale && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$/.test(locale)) {
    list.push(locale);
    const language = locale.split('-')[0].toLowerCase();
    if (language !== locale) list.push(language);
  }
  list.push(DEFAULT_LOCALE);
  return list;
}

function fill(template: string, values: Record<string, string>, encode: (value: string) => string): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (match, key: string) => (key in values ? encode(values[key]) : match));
}

const plain = (value: string) => value;

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
