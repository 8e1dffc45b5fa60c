using Checkpointing.Testing;
using Xunit.Abstractions;

namespace Checkpointing.Tests.InMemory;

/// <summary>The in-memory store against the conformance suite: "another process" is the same instance, since memory is not shared.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The suite's DisposeAsync disposes every repository CreateRepositoryAsync returned.")]
public sealed class InMemoryConformanceTests(ITestOutputHelper output) : CheckpointRepositoryConformanceTests(output)
{
    private readonly InMemoryCheckpointRepository _repository = new();

    /// <summary>Gets false: the one instance is every "other" repository, so it cannot tell a non-owner's writes from the owner's.</summary>
    protected override bool RepositoriesAreSeparateOwners => false;

    protected override Task<ICheckpointRepository> CreateRepositoryAsync() => Task.FromResult<ICheckpointRepository>(_repository);
}
