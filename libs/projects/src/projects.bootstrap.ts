import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ProjectsService } from './projects.service';

/** Fail loudly at start: a configured project with an unknown or wrong source stops the service, naming the key. */
@Injectable()
export class ProjectsBootstrap implements OnApplicationBootstrap {
  constructor(private readonly projects: ProjectsService) {}

  onApplicationBootstrap(): void {
    this.projects.validateConfigured();
  }
}
