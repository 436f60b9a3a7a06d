// Entry point: global styles, theme, then the app. Loaded as an external module (no inline script: CSP).
import './app.css';
import './lib/theme.svelte.js';
import { mount } from 'svelte';
import App from './App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
mount(App, { target });
