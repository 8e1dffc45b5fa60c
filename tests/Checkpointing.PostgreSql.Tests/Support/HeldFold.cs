using Checkpointing.Tests.Support;
using FluentAssertions;

namespace Checkpointing.PostgreSql.Tests.Support;

/// <summary>
/// A fold held at a test hook: the first fold that reaches <see cref="HoldAsync"/> waits there until <see cref="Release"/>;
/// <see cref="SaveAroundAsync"/> saves until a fold holds, then saves more that must return while it still holds.
/// </summary>
public sealed class HeldFold
{
    /// <summary>Guards against a hang only (a save waiting for the held fold would never finish); nothing is timed.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets a task that completes once a fold holds.</summary>
    public Task Held => _held.Task;

    /// <summary>The hook body: holds the first fold that calls it until <see cref="Release"/>; later calls go on.</summary>
    public async Task HoldAsync(CancellationToken cancellationToken)
    {
        if (_held.TrySetResult())
        {
            await _release.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Lets the held fold go on (a failed assertion must not leave it held: dispose waits for it).</summary>
    public void Release() => _release.TrySetResult();

    /// <summary>
    /// Saves one response at a time until the change rows outgrow the document and the fold that starts holds, then saves
    /// <paramref name="during"/> more, each of which must return while the fold still holds.
    /// </summary>
    /// <returns>The state after the last save.</returns>
    public async Task<PipelineCheckpoint> SaveAroundAsync(PostgreSqlCheckpointRepository repository, PipelineCheckpoint checkpoint, int during)
    {
        await repository.SaveAsync(checkpoint);
        for (var i = 0; !Held.IsCompleted && i < 1000; i++)
        {
            checkpoint = await FoldCards.SaveResponseAsync(repository, checkpoint, $"before {i}");
        }

        await Held.WaitAsync(HangGuard);
        for (var i = 0; i < during; i++)
        {
            checkpoint = await FoldCards.SaveResponseAsync(repository, checkpoint, $"during {i}").WaitAsync(HangGuard);
        }

        _release.Task.IsCompleted.Should().BeFalse("every save returned while the fold was still held");
        return checkpoint;
    }
}
