using System.Buffers;
using System.Text;
using Checkpointing.Json;
using Checkpointing.Models;
using Checkpointing.Tests.Support;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Json;

/// <summary>
/// The buffer a thread keeps for serializing: each result holds exactly its own bytes, whatever the thread serialized
/// before (longer or shorter, a change or a whole checkpoint, one that failed halfway); a buffer that grew large is not kept.
/// </summary>
public sealed class SerializationBufferTests
{
    [Fact]
    public void SerializingAfterALongerChange_GivesExactlyTheShorterChange()
    {
        var longer = Cached(new string('x', 100_000));
        var shorter = Cached("short");
        var shorterAlone = Encoding.UTF8.GetString(CheckpointJson.SerializeChange(shorter));

        CheckpointJson.SerializeChange(longer);
        var again = CheckpointJson.SerializeChange(shorter);

        Encoding.UTF8.GetString(again).Should().Be(shorterAlone);
        CheckpointJson.DeserializeChange(again, "test").Should().BeEquivalentTo(shorter);
    }

    [Fact]
    public void ChangesAndCheckpoints_TakingTurns_EachReadBackWhole()
    {
        var checkpoint = Stages.Checkpoint();
        for (var i = 0; i < 3; i++)
        {
            var change = Cached(new string('y', 1_000 * (i + 1)));
            CheckpointJson.DeserializeChange(CheckpointJson.SerializeChange(change), "test").Should().BeEquivalentTo(change);
            CheckpointJson.DeserializeCheckpoint(CheckpointJson.SerializeCheckpoint(checkpoint), "test").Should().BeEquivalentTo(checkpoint);
        }
    }

    [Fact]
    public void ASerializationThatFailed_LeavesNothingInTheNextResult()
    {
        var buffer = SerializationBuffer.Take();
        buffer.Write("{\"left\":\"over"u8);
        SerializationBuffer.Return(buffer); // as the finally block does after a writer threw halfway

        var change = Cached("after");
        CheckpointJson.DeserializeChange(CheckpointJson.SerializeChange(change), "test").Should().BeEquivalentTo(change);
    }

    [Fact]
    public void ABufferThatGrewLarge_IsNotKept_AndOneInUse_IsNotHandedOutTwice()
    {
        var large = SerializationBuffer.Take();
        large.GetSpan(SerializationBuffer.MaxKeptBytes + 1);
        SerializationBuffer.Return(large);
        SerializationBuffer.Take().Should().NotBeSameAs(large);

        var first = SerializationBuffer.Take();
        var second = SerializationBuffer.Take();
        second.Should().NotBeSameAs(first, "a buffer in use is not the thread's to hand out");
        SerializationBuffer.Return(first);
        SerializationBuffer.Take().Should().BeSameAs(first, "a small buffer given back is used again");
    }

    private static LlmResponseCached Cached(string answer) =>
        new(2, DateTimeOffset.UnixEpoch, "stage", Stages.Response("prompt", answer));
}
