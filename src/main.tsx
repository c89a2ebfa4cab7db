import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { startApp } from './app/store';
import './app/styles.css';

startApp();
createRoot(document.getElementById('root')!).render(<App />);
