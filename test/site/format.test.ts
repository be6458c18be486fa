import { describe, expect, test } from 'vitest';
import { mailtoHref } from '../../src/site/shared/format.ts';

describe('mailtoHref', () => {
  test.each([
    ['jean.dupont@acme.com', 'mailto:jean.dupont@acme.com'],
    ['  Mixed.Case@Example.COM ', 'mailto:Mixed.Case@Example.COM'],
    ["sean.o'brien@example.ie", "mailto:sean.o'brien@example.ie"],
    ['first+tag@mail.example.co.uk', 'mailto:first+tag@mail.example.co.uk'],
    ['ünïcödé@exämple.com', 'mailto:ünïcödé@exämple.com'],
    ['太郎@例え.jp', 'mailto:太郎@例え.jp'],
  ])('links %j as %j', (email, href) => {
    expect(mailtoHref(email)).toBe(href);
  });

  test.each([
    ['a query adding a hidden recipient', 'ann@example.com?bcc=spy@evil.example'],
    ['a query adding a body', 'ann@example.com?body=Pay%20now'],
    ['an ampersand joining headers', 'ann&cc=spy@evil.example'],
    ['a percent-escape', 'ann%2Cspy%40evil.example@example.com'],
    ['a second recipient after a comma', 'spy@evil.example,ann@example.com'],
    ['a second recipient after a semicolon', 'ann@example.com;spy@evil.example'],
    ['a fragment', 'ann#x@example.com'],
    ['a line break and a header', 'ann@example.com\nBcc: spy@evil.example'],
    ['a space', 'jean dupont@example.com'],
    ['markup', '<script>alert("x")</script>@example.com'],
    ['a zero-width space', '\u200B=1+1@example.com'],
    ['no local part', '@evil.example'],
    ['no domain', 'jean.dupont@'],
    ['no @', 'jean.dupont.example.com'],
    ['two @', 'two@@example.com'],
    ['a domain without a dot', 'root@localhost'],
    ['a label starting with a hyphen', 'ann@-evil.example'],
    ['a scheme of its own', 'javascript:alert(1)//@example.com'],
  ])('shows an address with %s as text', (_, email) => {
    expect(mailtoHref(email)).toBeNull();
  });
});
