using Checkpointing.Testing;
using Checkpointing.Tests.Support;
using Xunit.Abstractions;

namespace Checkpointing.Tests.FileStore;

/// <summary>The file store against the conformance suite: every repository is a new instance over one directory, as another process would open it.</summary>
public sealed class FileSystemConformanceTests(ITestOutputHelper output) : CheckpointRepositoryConformanceTests(output), IDisposable
{
    private readonly TempDirectory _temp = new();

    protected override Task<ICheckpointRepository> CreateRepositoryAsync() =>
        Task.FromResult<ICheckpointRepository>(new FileSystemCheckpointRepository(_temp.Path));

    /// <summary>Deletes the directory; xunit calls it after <see cref="CheckpointRepositoryConformanceTests.DisposeAsync"/>.</summary>
    public void Dispose() => _temp.Dispose();
}
