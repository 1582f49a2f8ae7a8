import { html } from 'htm/preact';
import type { VNode } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type Principal, client, messageOf, onOtherTabToken, onSessionExpired, onSignInAgain, whoAmI } from './api';
import { accountPages } from './account';
import { adminPages } from './admin';
import { navigate, parseHash, useRoute } from './router';
import { PublicPage, SignIn, hasPendingFederatedMfa, publicPageFor } from './signin';
import { ErrorBanner, Notice } from './ui/error-banner';
import { PageBoundary } from './ui/page-boundary';
import type { ConsolePage, PageContext } from './ui/page';

/** The second-factor page: the only one a session restricted to MFA enrolment may use. */
const SECURITY_PATH = '/account/security';

type Session =
  { state: 'loading' } | { state: 'signed-out'; notice?: string } | { state: 'signed-in'; principal: Principal; notice?: string };

/** The page for a path: the longest `path` that equals it or is a prefix followed by `/`. */
function match(pages: ConsolePage[], path: string): ConsolePage | undefined {
  return pages.filter((page) => path === page.path || path.startsWith(`${page.path}/`)).sort((a, b) => b.path.length - a.path.length)[0];
}

/** The console: resumes the session on load (refresh cookie), then shows sign-in or the pages the user may see. */
export function App(): VNode {
  const route = useRoute();
  const [session, setSession] = useState<Session>({ state: 'loading' });
  const [error, setError] = useState<unknown>(null);

  const loadPrincipal = useCallback(async (notice?: string) => {
    const principal = await whoAmI();
    setSession({ state: 'signed-in', principal, notice });
  }, []);

  // Whose session this page shows, for the other-tab check below (the listener outlives renders).
  const shownUser = useRef<string | null>(null);
  shownUser.current = session.state === 'signed-in' ? session.principal.id : null;
  useEffect(
    () =>
      // Another tab signed in: a signed-out page resumes with that session; a page showing someone
      // else starts afresh as the new user (every page's state, forms included, is discarded), so
      // nothing is done as one user from a page that shows another.
      onOtherTabToken(() => {
        const holder = client.user()?.id ?? null;
        if (holder === shownUser.current) return;
        const switched = shownUser.current !== null;
        loadPrincipal(switched ? 'You signed in as another user in another tab: this tab now shows that account.' : undefined).catch(
          setError,
        );
        if (switched) navigate('/account');
      }),
    [loadPrincipal],
  );

  useEffect(() => {
    const stop = onSessionExpired(() => setSession({ state: 'signed-out', notice: 'Your session has ended. Sign in again.' }));
    void (async () => {
      try {
        // Back from a provider with a second factor to give: that sign-in goes first, whatever
        // session the cookie may still hold (completing it replaces that session's cookie).
        if (hasPendingFederatedMfa()) setSession({ state: 'signed-out' });
        else if (await client.refresh()) await loadPrincipal();
        else setSession({ state: 'signed-out' });
      } catch (caught) {
        setError(caught);
        setSession({ state: 'signed-out' });
      }
    })();
    return stop;
  }, [loadPrincipal]);

  useEffect(
    () =>
      // A change that needs a recent sign-in: this session ends (a new one replaces it, not one more
      // left behind) and the sign-in page shows; the address stays, so the user comes back here.
      onSignInAgain(() => {
        void client
          .logout()
          .catch(setError)
          .finally(() =>
            setSession({ state: 'signed-out', notice: 'Sign in again to confirm it is you. You will come back to the page you were on.' }),
          );
      }),
    [],
  );

  const signOut = async () => {
    try {
      await client.logout();
    } catch (caught) {
      setError(caught);
    }
    setSession({ state: 'signed-out', notice: 'You have signed out.' });
    navigate('/');
  };

  const publicPage = publicPageFor(route.path);
  if (publicPage) return html`<${PublicPage} route=${route} />`;
  if (session.state === 'loading') return html`<main id="main" class="loading" aria-busy="true"><p>Loading…</p></main>`;
  if (session.state === 'signed-out') {
    return html`<${SignIn}
      notice=${session.notice}
      error=${error}
      onSignedIn=${async () => {
        // A failure here (429, 5xx) is thrown to the sign-in form, which shows it in words.
        setError(null);
        await loadPrincipal();
      }}
    />`;
  }
  return html`<${Shell}
    key=${session.principal.id}
    principal=${session.principal}
    notice=${session.notice}
    route=${route}
    onSignOut=${signOut}
    reload=${() => loadPrincipal()}
    error=${error}
  />`;
}

function Shell(props: {
  principal: Principal;
  route: ReturnType<typeof parseHash>;
  onSignOut: () => Promise<void>;
  reload: () => Promise<void>;
  error: unknown;
  notice?: string;
}): VNode {
  const { principal, route } = props;
  // A session that may only enrol a second factor (MFA_REQUIRED_ROLES) sees that page alone.
  const restricted = principal.restriction === 'mfa_enrolment';
  const can = (permission: string) => !restricted && (permission === '' || principal.permissions.includes(permission));
  const visibleAdmin = adminPages.filter((page) => can(page.permission));
  const visibleAccount = restricted ? accountPages.filter((page) => page.path === SECURITY_PATH) : accountPages;
  const pages = [...visibleAccount, ...visibleAdmin];
  const page = match(pages, route.path);
  const mainRef = useRef<HTMLElement>(null);
  const [menuOpen, setMenuOpen] = useState(false);

  useEffect(() => {
    if (!page) navigate(visibleAccount[0].path);
  }, [page]);
  useEffect(() => {
    // A new page: its title for the tab and for screen readers, focus to its heading.
    document.title = page ? `${page.title} · Gatehouse console` : 'Gatehouse console';
    setMenuOpen(false);
    mainRef.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [page?.path]);

  useEffect(() => {
    // A control that goes away while it has focus (the row of a revoked token, the button of a step
    // just done) leaves focus on <body>, and keyboard users at the top of the document. Focus then
    // goes to the page's heading instead, where Tab continues within the page.
    const main = mainRef.current;
    if (!main) return undefined;
    let last: Element | null = null;
    const track = (event: FocusEvent) => {
      last = event.target as Element;
    };
    const observer = new MutationObserver(() => {
      if (last && !last.isConnected && (document.activeElement === document.body || document.activeElement === null)) {
        last = null;
        main.querySelector<HTMLElement>('h1')?.focus();
      }
    });
    main.addEventListener('focusin', track);
    observer.observe(main, { childList: true, subtree: true });
    return () => {
      main.removeEventListener('focusin', track);
      observer.disconnect();
    };
  }, []);

  const ctx: PageContext = {
    principal,
    can,
    subpath: page ? route.path.slice(page.path.length) : '',
    query: route.query,
    navigate,
    reloadPrincipal: props.reload,
  };
  const link = (p: ConsolePage) =>
    html`<li><a href=${`#${p.path}`} aria-current=${page?.path === p.path ? 'page' : undefined}>${p.title}</a></li>`;

  return html`<div class="shell">
    <a
      class="skip"
      href="#main"
      onClick=${(event: Event) => {
        event.preventDefault();
        mainRef.current?.focus();
      }}
      >Skip to content</a
    >
    <header class="topbar">
      <span class="brand">Gatehouse</span>
      <button type="button" class="menu-toggle" aria-expanded=${menuOpen} aria-controls="nav" onClick=${() => setMenuOpen(!menuOpen)}>
        Menu
      </button>
      <span class="who">Signed in as <strong>${principal.username}</strong></span>
      <button type="button" class="signout" onClick=${props.onSignOut}>Sign out</button>
    </header>
    <nav id="nav" class=${menuOpen ? 'nav open' : 'nav'} aria-label="Console">
      <h2 class="nav-heading">My account</h2>
      <ul>
        ${visibleAccount.map(link)}
      </ul>
      ${
        visibleAdmin.length > 0
          ? html`<h2 class="nav-heading">Administration</h2>
              <ul>
                ${visibleAdmin.map(link)}
              </ul>`
          : null
      }
    </nav>
    <main id="main" ref=${mainRef} tabindex="-1" class="content">
      <${ErrorBanner} error=${props.error} />
      <${Notice} text=${props.notice ?? null} />
      <${PageBoundary} path=${page?.path ?? ''}>${page ? page.render(ctx) : null}</${PageBoundary}>
    </main>
  </div>`;
}
