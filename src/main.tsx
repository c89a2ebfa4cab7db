import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { Inspect } from './app/Inspect';
import { receiveLaunchedFiles } from './app/shareTarget';
import { startApp } from './app/store';
import './app/styles.css';

startApp();
receiveLaunchedFiles();
createRoot(document.getElementById('root')!).render(
  <>
    <App />
    <Inspect />
  </>,
);
