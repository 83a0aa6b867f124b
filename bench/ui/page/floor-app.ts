/** The bundle-size floor: the least a Vue 3 app ships, built by the same Vite and Vue plugin as the renderer. */
import { createApp, h } from 'vue';

createApp({ render: () => h('p', 'Boiler Controller') }).mount('#app');
