import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { textSize } from './lib/stores/textSize.svelte';

// The remembered text size, before the first paint: no jump from normal to large.
textSize.load();

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');

export default mount(App, { target });
