/**
 * The service worker (vite-plugin-pwa, Workbox): registered once in production builds; when a new
 * version has been downloaded and waits, `available` turns true and the app asks the user, who
 * reloads into it with `update()` (never behind their back: a build may be running).
 */
import { registerSW } from 'virtual:pwa-register';

class AppUpdate {
  /** A new version is installed and waiting. */
  available = $state(false);
  /** Everything the app needs is cached: it works offline from now on. */
  offlineReady = $state(false);
  #update: ((reload?: boolean) => Promise<void>) | undefined;

  register(): void {
    if (this.#update || !import.meta.env.PROD || !('serviceWorker' in navigator)) return;
    this.#update = registerSW({
      immediate: true,
      onNeedRefresh: () => (this.available = true),
      onOfflineReady: () => (this.offlineReady = true),
      onRegisterError: () => undefined,
    });
  }

  async update(): Promise<void> {
    await this.#update?.(true);
  }

  dismiss(): void {
    this.available = false;
  }
}

export const appUpdate = new AppUpdate();
