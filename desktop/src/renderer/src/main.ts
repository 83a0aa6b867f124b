import { createApp } from 'vue';
import { createPinia } from 'pinia';
import { z } from 'zod';
import App from './App.vue';
import { createAppRouter } from './router';
import { useBackendImplementation } from './backend/backend';
import { BrowserBackend } from './backend/browser-backend';
import { ElectronBackend } from './backend/electron-backend';
import './theme.css';

// The page's CSP allows no eval, so zod's compiled parsers cannot run here; jitless skips its probe
// (a `new Function` that the CSP refuses and reports as a violation on every start).
z.config({ jitless: true });
// For the bench's stages (npm run bench -- --only ui): the bundle evaluated.
performance.mark('boiler:evaluated');

// The live socket and session check head-start.js began before this bundle was compiled (none in a dev server).
useBackendImplementation(window.boiler === undefined ? new BrowserBackend(window.location.origin, window.boilerHeadStart ?? null) : new ElectronBackend(window.boiler));
const app = createApp(App).use(createPinia());
app.use(createAppRouter());
app.mount('#app');
