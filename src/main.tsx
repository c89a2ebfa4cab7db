import { createRoot } from 'react-dom/client';

function Placeholder() {
  return <main><h1>bitsr</h1><p>Binary super-resolution in the browser. The app lands with issue 5.</p></main>;
}

createRoot(document.getElementById('root')!).render(<Placeholder />);
