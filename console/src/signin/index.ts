export { SignIn } from './sign-in';
export { PublicPage, publicPageFor } from './public-pages';
export { hasPendingFederatedMfa } from './federated-mfa';
