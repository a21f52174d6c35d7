package dev.modelmux.repo;

/** A repository read that failed; the message is safe to show users (no absolute paths, no credentials). */
public class RepositoryException extends Exception {
    private static final long serialVersionUID = 1L;

    public RepositoryException(String message) {
        super(message);
    }

    public RepositoryException(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The repository could not be read (an I/O error, permission denied, a file that changed while it
     * was read): the read may work when tried again, and says nothing about what the repository holds.
     */
    public static class Unreadable extends RepositoryException {
        private static final long serialVersionUID = 1L;

        public Unreadable(String message) {
            super(message);
        }

        public Unreadable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The model or version does not exist in the repository. */
    public static class NotFound extends RepositoryException {
        private static final long serialVersionUID = 1L;

        public NotFound(String message) {
            super(message);
        }
    }
}
