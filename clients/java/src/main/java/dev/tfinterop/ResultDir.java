package dev.tfinterop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A result folder written under a temporary sibling name and renamed into place when complete, so
 * an interrupted client never leaves half a result set.
 */
public final class ResultDir implements AutoCloseable {
  private final Path target;
  private final Path staging;
  private boolean committed;

  private ResultDir(Path target, Path staging) {
    this.target = target;
    this.staging = staging;
  }

  /** A fresh staging folder next to {@code target}; stale ones from crashed runs go first. */
  public static ResultDir create(Path target) {
    try {
      Path parent = target.toAbsolutePath().getParent();
      Files.createDirectories(parent);
      String prefix = "." + target.getFileName() + ".tmp-";
      try (DirectoryStream<Path> stale = Files.newDirectoryStream(parent, prefix + "*")) {
        for (Path p : stale) {
          deleteTree(p);
        }
      }
      return new ResultDir(target.toAbsolutePath(), Files.createTempDirectory(parent, prefix));
    } catch (IOException e) {
      throw new ToolException(
          "cannot create a result folder beside " + target + ": " + e.getMessage());
    }
  }

  public Path staging() {
    return staging;
  }

  public void write(String name, byte[] data) {
    try {
      Files.write(staging.resolve(name), data);
    } catch (IOException e) {
      throw new ToolException("cannot write " + staging.resolve(name) + ": " + e.getMessage());
    }
  }

  /** Replaces {@code target} with the staged folder. */
  public Path commit() {
    try {
      if (Files.exists(target)) {
        Path old =
            target.resolveSibling(
                "." + target.getFileName() + ".tmp-old-" + ProcessHandle.current().pid());
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
      } else {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      }
      committed = true;
      return target;
    } catch (IOException e) {
      throw new ToolException("cannot move results into " + target + ": " + e.getMessage());
    }
  }

  @Override
  public void close() {
    if (!committed) {
      try {
        deleteTree(staging);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
            Files.delete(dir);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
