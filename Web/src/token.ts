// The operator token for the coordinator's HTTP API: taken from the URL fragment (#token=...) once, then kept in
// sessionStorage so that the fragment can be removed from the address bar and history. sessionStorage, not
// localStorage: the token lives only as long as the tab, is not shared with other tabs, and is not left on disk
// for whoever uses the browser profile next.

const storageKey = "fedtrain.operatorToken";

export function loadToken(): string | null {
  // Earlier pages kept the token in localStorage; do not leave a copy there.
  localStorage.removeItem(storageKey);
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const fromFragment = fragment.get("token");
  if (fromFragment) {
    saveToken(fromFragment);
    history.replaceState(null, "", window.location.pathname + window.location.search);
    return fromFragment;
  }
  return sessionStorage.getItem(storageKey);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(storageKey, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(storageKey);
}
