/**
 * What an API address may be: the checks that the configuration and the client both apply to
 * `QWOTY_API_URL`, kept in one place so that they cannot drift apart.
 */

/**
 * Whether `url` names this machine literally: `localhost`, an address in 127.0.0.0/8 or `::1`. Plain http is
 * allowed only there, where nothing crosses a network. A name under `.localhost`, or any other name, is
 * looked up through the resolver, which a hosts file or a DNS answer can point anywhere, so it does not count.
 * The WHATWG URL parser has already written an IPv4 address in its dotted form (`127.1` is `127.0.0.1`).
 */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** `text` without the slashes at its end, in linear time (the regex `/\/+$/` is quadratic on "//…/x"). */
export function withoutTrailingSlashes(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x2f) end -= 1;
  return text.slice(0, end);
}
