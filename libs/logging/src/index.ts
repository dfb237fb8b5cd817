export { LoggingModule } from './logging.module';
export { SERVICE_NAME, SERVICE_VERSION } from './logging.constants';
