import type { ConsolePage } from '../ui/page';

/** The administration pages (helper B): each shown only to users who hold its permission. */
export const adminPages: ConsolePage[] = [];
