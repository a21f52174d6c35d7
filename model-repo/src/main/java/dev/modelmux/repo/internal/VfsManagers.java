package dev.modelmux.repo.internal;

import java.io.File;
import org.apache.commons.vfs2.CacheStrategy;
import org.apache.commons.vfs2.FileSystemException;
import org.apache.commons.vfs2.impl.DefaultFileReplicator;
import org.apache.commons.vfs2.impl.DefaultFileSystemManager;
import org.apache.commons.vfs2.provider.jar.JarFileProvider;
import org.apache.commons.vfs2.provider.local.DefaultLocalFileProvider;
import org.apache.commons.vfs2.provider.ram.RamFileProvider;
import org.apache.commons.vfs2.provider.zip.ZipFileProvider;

/**
 * A VFS manager with exactly the providers a repository may use (no default provider, so no
 * {@code URL} fallback and no ftp/sftp/res), re-reading file attributes whenever a file
 * is resolved so that rescans see changes.
 */
final class VfsManagers {
    private VfsManagers() {}

    static DefaultFileSystemManager create() throws FileSystemException {
        DefaultFileSystemManager m = new DefaultFileSystemManager();
        m.addProvider("file", new DefaultLocalFileProvider());
        m.addProvider("zip", new ZipFileProvider());
        m.addProvider("jar", new JarFileProvider());
        m.addProvider("ram", new RamFileProvider());
        m.addProvider("http", new SecureHttpProviders.Http());
        m.addProvider("https", new SecureHttpProviders.Https());
        // Archives fetched over http(s) are copied here before they are opened; removed on close.
        DefaultFileReplicator replicator = new DefaultFileReplicator(new File(
                System.getProperty("java.io.tmpdir"),
                "modelmux-vfs-" + ProcessHandle.current().pid()));
        m.setReplicator(replicator);
        m.setTemporaryFileStore(replicator);
        m.setCacheStrategy(CacheStrategy.ON_RESOLVE);
        m.init();
        return m;
    }
}
