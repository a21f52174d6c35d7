package dev.modelmux.repo.internal;

import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.RepositoryException;
import dev.modelmux.repo.RepositoryOptions;

/** Commons VFS implementation of {@link ModelRepository}. */
public final class VfsModelRepository {
  private VfsModelRepository() {}

  public static ModelRepository open(String rootUri, RepositoryOptions options) throws RepositoryException {
    throw new UnsupportedOperationException("TODO(model-repo helper)");
  }
}
