// Dark and light themes: follow the system unless the person picked one (kept in localStorage).

export type ThemeChoice = 'system' | 'light' | 'dark';
const storageKey = 'tracksink.theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');

function stored(): ThemeChoice {
  const value = localStorage.getItem(storageKey);
  return value === 'light' || value === 'dark' ? value : 'system';
}

export const theme = $state<{ choice: ThemeChoice; dark: boolean }>({ choice: stored(), dark: false });

function apply(): void {
  theme.dark = theme.choice === 'dark' || (theme.choice === 'system' && media.matches);
  document.documentElement.dataset['theme'] = theme.dark ? 'dark' : 'light';
}

media.addEventListener('change', apply);
apply();

/** Cycles system → light → dark → system. */
export function cycleTheme(): void {
  theme.choice = theme.choice === 'system' ? 'light' : theme.choice === 'light' ? 'dark' : 'system';
  if (theme.choice === 'system') localStorage.removeItem(storageKey);
  else localStorage.setItem(storageKey, theme.choice);
  apply();
}
