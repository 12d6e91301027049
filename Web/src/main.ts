// The live page's loop: poll the coordinator every 1.5 s and redraw; ask for an operator token when the API wants one.
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { fetchSnapshot, Unauthorized } from "./api";
import { Panels } from "./panels";
import { forgetToken, loadToken, saveToken } from "./token";

const pollMilliseconds = 1500;
const panels = new Panels();
let token = loadToken();

function askForToken(): Promise<void> {
  const form = document.getElementById("token-form") as HTMLFormElement;
  const input = document.getElementById("token-input") as HTMLInputElement;
  form.hidden = false;
  input.focus();
  return new Promise((resolve) => {
    form.onsubmit = (event) => {
      event.preventDefault();
      token = input.value.trim() || null;
      if (token) saveToken(token);
      form.hidden = true;
      resolve();
    };
  });
}

async function poll(): Promise<void> {
  for (;;) {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), 5000);
    try {
      panels.render(await fetchSnapshot(token, timeout.signal));
    } catch (error) {
      if (error instanceof Unauthorized) {
        forgetToken();
        panels.unreachable("an operator token is required");
        await askForToken();
        continue;
      }
      panels.unreachable(error instanceof Error ? error.message : String(error));
    } finally {
      clearTimeout(timer);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMilliseconds));
  }
}

void poll();
