using Checkpointing.PostgreSql.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.PostgreSql.Tests;

/// <summary>The pooled segments a fold serializes into give back exactly the serializer's bytes, in chunks no larger than asked.</summary>
public sealed class DocumentChunkWriterTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(4096)]
    [InlineData(1 << 20)]
    public void Chunks_AreTheSerializedDocument_InOrder_EachAtMostTheChunkSize(int chunkBytes)
    {
        var checkpoint = Samples.Checkpoint("CARD-1", responses: 40, responseBytes: 3000);
        var expected = CheckpointJson.SerializeCheckpoint(checkpoint);

        using var writer = DocumentChunkWriter.Serialize(checkpoint, chunkBytes);
        var chunks = writer.Chunks().ToList();

        writer.Length.Should().Be(expected.Length);
        chunks.Should().OnlyContain(chunk => chunk.Length > 0 && chunk.Length <= chunkBytes);
        chunks.SelectMany(chunk => chunk.ToArray()).ToArray().Should().Equal(expected);
    }
}
