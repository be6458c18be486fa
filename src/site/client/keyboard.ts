/** "/" puts the cursor in the page's search box, as on most sites, unless one is already typing. */
export function startSlashShortcut(): void {
  document.addEventListener('keydown', (event) => {
    if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    const target = event.target;
    if (
      target instanceof HTMLElement &&
      (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))
    ) {
      return;
    }
    const box = document.querySelector<HTMLInputElement>('#q, #header-q');
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
}
