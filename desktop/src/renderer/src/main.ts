import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createAppRouter } from './router';
import { useBackendImplementation } from './backend/backend';
import { BrowserBackend } from './backend/browser-backend';
import './theme.css';

useBackendImplementation(new BrowserBackend());
const app = createApp(App).use(createPinia());
app.use(createAppRouter());
app.mount('#app');
