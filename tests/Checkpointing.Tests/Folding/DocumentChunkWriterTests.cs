using Checkpointing.Folding;
using Checkpointing.Testing;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Folding;

/// <summary>The pooled segments a database store's fold serializes into give back exactly the serializer's bytes, in chunks no larger than asked.</summary>
public sealed class DocumentChunkWriterTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public void Chunks_AreTheSerializedDocument_InOrder_EachAtMostTheChunkSize(int chunkBytes)
    {
        var stage = CheckpointSamples.Checkpoint("CARD-1").StageCheckpoints.Values.First();
        var checkpoint = CheckpointSamples.Checkpoint("CARD-1") with
        {
            StageCheckpoints = new Dictionary<string, StageCheckpoint>(StringComparer.Ordinal)
            {
                [stage.StageName] = stage with { LlmResponses = [.. Enumerable.Range(0, 40).Select(i => CheckpointSamples.LargeResponse($"prompt {i}", 3000))] },
            },
        };
        var expected = CheckpointJson.SerializeCheckpoint(checkpoint);

        using var writer = DocumentChunkWriter.Serialize(checkpoint, chunkBytes);
        var chunks = writer.Chunks().ToList();

        writer.Length.Should().Be(expected.Length);
        chunks.Should().OnlyContain(chunk => chunk.Length > 0 && chunk.Length <= chunkBytes);
        chunks.SelectMany(chunk => chunk.ToArray()).ToArray().Should().Equal(expected);
    }
}
