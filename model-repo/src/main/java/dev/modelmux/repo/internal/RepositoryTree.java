package dev.modelmux.repo.internal;

import dev.modelmux.repo.RepositoryException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.vfs2.FileObject;
import org.apache.commons.vfs2.FileSystemException;
import org.apache.commons.vfs2.NameScope;

/**
 * Walks the repository from its fixed root by plain child names only, and refuses anything that
 * does not lie under the root: by VFS name, and for local roots also by canonical path, so a
 * symbolic link cannot lead outside. Messages name files relative to the root.
 */
final class RepositoryTree {
    private final FileObject root;
    /** The root's real path when it is a local folder; null for other schemes. */
    private final Path canonicalRoot;

    RepositoryTree(FileObject root) throws IOException {
        this.root = root;
        this.canonicalRoot =
                isLocal(root) ? Path.of(root.getName().getPathDecoded()).toRealPath() : null;
    }

    FileObject root() {
        return root;
    }

    /**
     * The existing child {@code name} of {@code parent}, or empty.
     *
     * @param relative the child's name relative to the root, for messages ({@code model/3})
     * @throws RepositoryException if it resolves outside the root or cannot be read
     */
    Optional<FileObject> child(FileObject parent, String name, String relative) throws RepositoryException {
        try {
            FileObject f = parent.resolveFile(name, NameScope.CHILD);
            if (!root.getName().isDescendent(f.getName(), NameScope.DESCENDENT)) {
                throw outside(relative);
            }
            if (!f.exists()) {
                return Optional.empty();
            }
            if (!inside(f)) {
                throw outside(relative);
            }
            return Optional.of(f);
        } catch (FileSystemException e) {
            throw unreadable(relative, e);
        }
    }

    /** The children of a folder as they are now. */
    List<FileObject> children(FileObject folder, String relative) throws RepositoryException {
        try {
            folder.refresh();
            FileObject[] children = folder.getChildren();
            return children == null ? List.of() : List.of(children);
        } catch (FileSystemException e) {
            throw unreadable(relative, e);
        }
    }

    /** True when {@code f} is under the root, following symbolic links for local roots. */
    boolean inside(FileObject f) throws FileSystemException {
        if (!root.getName().isDescendent(f.getName(), NameScope.DESCENDENT)) {
            return false;
        }
        if (canonicalRoot == null) {
            return true;
        }
        try {
            return Path.of(f.getName().getPathDecoded()).toRealPath().startsWith(canonicalRoot);
        } catch (IOException e) {
            return false; // a dangling link or a file that vanished: not usable either way
        }
    }

    static RepositoryException outside(String relative) {
        return new OutsideRoot(relative + " resolves outside the repository root; refused");
    }

    /** A file that resolves outside the root (a symbolic link leading out). */
    static final class OutsideRoot extends RepositoryException {
        private static final long serialVersionUID = 1L;

        OutsideRoot(String message) {
            super(message);
        }
    }

    static RepositoryException.Unreadable unreadable(String relative, Exception cause) {
        return new RepositoryException.Unreadable(
                "could not read " + relative + " in the repository" + osReason(cause), cause);
    }

    /** Matches the operating system's reason that Java puts after a path: "... (Permission denied)". */
    private static final Pattern OS_REASON = Pattern.compile(".*\\(([A-Za-z][A-Za-z ,'-]{2,60})\\)\\s*$");

    /**
     * The operating system's words for why a file could not be read (" (Permission denied)"), taken from
     * the innermost cause, or "" when there are none; never a path.
     */
    static String osReason(Throwable cause) {
        Throwable t = cause;
        for (int depth = 0; t != null && t.getCause() != null && t.getCause() != t && depth < 8; depth++) {
            t = t.getCause();
        }
        if (t instanceof java.nio.file.AccessDeniedException) {
            return " (Permission denied)";
        }
        String m = t == null ? null : t.getMessage();
        if (m == null) {
            return "";
        }
        Matcher found = OS_REASON.matcher(m);
        return found.matches() ? " (" + found.group(1) + ")" : "";
    }

    private static boolean isLocal(FileObject f) {
        return "file".equals(f.getName().getScheme());
    }
}
