/** What a kiosk page may not do: zoom by pinch or ctrl+wheel. Marks the page as a kiosk for theme.css. */
export function installKioskHabits(doc: Document, win: Window): () => void {
  const root = doc.documentElement;
  root.classList.add('kiosk');
  // theme.css holds the rest: touch-action (no pinch zoom), overscroll-behavior (no swipe-back or
  // pull-to-refresh), user-select on controls.
  const viewport = doc.querySelector<HTMLMetaElement>('meta[name="viewport"]');
  const before = viewport?.content;
  if (viewport !== null) viewport.content = 'width=device-width, initial-scale=1, maximum-scale=1, user-scalable=no';
  const noWheelZoom = (e: WheelEvent) => {
    if (e.ctrlKey) e.preventDefault();
  };
  const noKeyZoom = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && ['+', '-', '=', '0'].includes(e.key)) e.preventDefault();
  };
  win.addEventListener('wheel', noWheelZoom, { passive: false });
  win.addEventListener('keydown', noKeyZoom);
  return () => {
    root.classList.remove('kiosk');
    if (viewport !== null && before !== undefined) viewport.content = before;
    win.removeEventListener('wheel', noWheelZoom);
    win.removeEventListener('keydown', noKeyZoom);
  };
}
