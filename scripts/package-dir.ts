// The last step of `npm run build`: the checkout's package directory pkg/ (the published manifest and
// links to the built files and node_modules), which other projects can depend on by path.
import { ensureCheckoutPackage } from '../src/scaffold/source.ts';

ensureCheckoutPackage();
