// A real headless Chromium (Debian's package, CHROMIUM_PATH) driven over the DevTools protocol on a
// pipe: open a page, wait until its text shows what a test expects, take a screenshot. No driver
// package is needed; the protocol is JSON messages separated by NUL bytes on file descriptors 3 and 4.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** Each protocol command is answered within this long, or the browser is taken to be stuck. */
const COMMAND_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 250;

export interface BrowserPage {
  /** Navigates and resolves once the page's visible text contains every one of `texts`. */
  openAndWaitForText(url: string, texts: string[], timeoutMs: number): Promise<string>;
  screenshot(): Promise<Buffer>;
  close(): Promise<void>;
}

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH;
  if (!path) throw new Error('CHROMIUM_PATH is not set: run this test with `npm test`, which installs Chromium (Debian package chromium) for it');
  return path;
}

export async function openBrowser(): Promise<BrowserPage> {
  const child: ChildProcess = spawn(
    chromiumPath(),
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--hide-scrollbars',
      '--window-size=1400,1400',
      '--remote-debugging-pipe',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
  );
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  let buffered = '';
  fromBrowser.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let end: number;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffered.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      buffered = buffered.slice(end + 1);
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter) continue;
      pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result ?? {});
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(
        () => (pending.delete(id), reject(new Error(`Chromium did not answer ${method} within ${COMMAND_TIMEOUT_MS} ms`))),
        COMMAND_TIMEOUT_MS,
      );
      pending.set(id, { resolve: (v) => (clearTimeout(timer), resolve(v)), reject: (e) => (clearTimeout(timer), reject(e)) });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });

  const { targetInfos } = (await send('Target.getTargets')) as { targetInfos: Array<{ targetId: string; type: string }> };
  const page = targetInfos.find((target) => target.type === 'page');
  if (!page) throw new Error('Chromium opened no page');
  const { sessionId } = (await send('Target.attachToTarget', { targetId: page.targetId, flatten: true })) as { sessionId: string };
  const bodyText = async () => {
    const { result } = (await send('Runtime.evaluate', { expression: 'document.body ? document.body.innerText : ""', returnByValue: true }, sessionId)) as {
      result: { value: string };
    };
    return result.value;
  };

  return {
    async openAndWaitForText(url, texts, timeoutMs) {
      await send('Page.navigate', { url }, sessionId);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const text = await bodyText();
        if (texts.every((expected) => text.includes(expected))) return text;
        if (Date.now() > deadline) throw new Error(`the page at ${url} never showed ${texts.join(', ')}; it shows:\n${text.slice(0, 2_000)}`);
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      }
    },
    async screenshot() {
      const { data } = (await send('Page.captureScreenshot', { format: 'png' }, sessionId)) as { data: string };
      return Buffer.from(data, 'base64');
    },
    async close() {
      await send('Browser.close').catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
