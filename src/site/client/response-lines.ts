/** The non-empty lines of a text response, a batch at a time, as its body arrives. */
export async function* linesOf(response: Response): AsyncGenerator<string[]> {
  if (!response.body) {
    yield (await response.text()).split('\n').filter(Boolean);
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const lines = (rest + value).split('\n');
    rest = lines.pop() ?? '';
    yield lines.filter(Boolean);
  }
  if (rest) yield [rest];
}
