export { ErrorBanner, Notice } from './error-banner';
export { Field, Checkbox, uid } from './field';
export { ConfirmDialog } from './confirm-dialog';
export { Pager } from './pager';
export { Table } from './table';
export type { Column } from './table';
export { CopyButton } from './copy-button';
export { when } from './format';
export type { ConsolePage, PageContext } from './page';
