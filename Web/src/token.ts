// The operator token for the coordinator's HTTP API: taken from the URL fragment (#token=...) once, then kept in
// localStorage so that the fragment can be removed from the address bar and history.

const storageKey = "fedtrain.operatorToken";

export function loadToken(): string | null {
  const fragment = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  const fromFragment = fragment.get("token");
  if (fromFragment) {
    saveToken(fromFragment);
    history.replaceState(null, "", window.location.pathname + window.location.search);
    return fromFragment;
  }
  return localStorage.getItem(storageKey);
}

export function saveToken(token: string): void {
  localStorage.setItem(storageKey, token);
}

export function forgetToken(): void {
  localStorage.removeItem(storageKey);
}
