using Checkpointing.Testing;
using FluentAssertions;

namespace Checkpointing.AzureBlob.Tests.Support;

/// <summary>The cards of the crash tests: version 1 is a saved empty run, version <c>v</c> &gt; 1 caches the response <c>change v</c>.</summary>
public static class Cards
{
    /// <summary>Stores version 1 of a card.</summary>
    public static async Task<PipelineCheckpoint> CreateAsync(ICheckpointRepository repository, string cardId)
    {
        var checkpoint = CheckpointSamples.Minimal(cardId);
        await repository.SaveAsync(checkpoint);
        return checkpoint;
    }

    /// <summary>Asserts that the stored card holds exactly the changes 2..version, each once, in order.</summary>
    public static void ShouldHoldEveryChange(PipelineCheckpoint stored)
    {
        var prompts = stored.PendingLlmResponses.TryGetValue("work", out var responses) ? responses.Select(r => r.Prompt).ToList() : [];
        prompts.Should().Equal(Enumerable.Range(2, (int)stored.Version - 1).Select(v => $"change {v}"), "every change up to the stored version, once and in order");
    }
}
