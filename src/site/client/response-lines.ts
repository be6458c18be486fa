/**
 * A text response's non-empty lines as its body arrives, in slices of about `size` characters: each slice
 * whole lines, each line ending with a newline (the last one too), so that a slice can be read at once.
 */
export async function* lineSlicesOf(response: Response, size: number): AsyncGenerator<string> {
  const body = response.body ?? new Response(await response.text()).body;
  const reader = body?.pipeThrough(new TextDecoderStream()).getReader();
  let pending = '';
  for (;;) {
    const chunk = await reader?.read();
    const done = !chunk || chunk.done;
    if (!done) pending += chunk.value;
    while (pending.length >= size || (done && pending)) {
      let end = pending.lastIndexOf('\n', size) + 1 || pending.indexOf('\n', size) + 1;
      if (end === 0 && !done) break;
      if (end === 0) end = pending.length;
      const slice = pending
        .slice(0, end)
        .replace(/\n{2,}/g, '\n')
        .replace(/^\n/, '');
      pending = pending.slice(end);
      if (slice) yield slice.endsWith('\n') ? slice : `${slice}\n`;
    }
    if (done) return;
  }
}
