using Checkpointing.Json;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.Json;

/// <summary>
/// The skeleton pass's byte searches find exactly what the framework's searches find, at every position and alignment
/// (the 16-byte blocks, the bytes after the last whole block, empty input), for bytes of every value.
/// </summary>
public sealed class JsonByteSearchTests
{
    private static readonly byte[] Structural = "\"{}[],"u8.ToArray();

    public static TheoryData<int> Lengths => new() { 0, 1, 15, 16, 17, 31, 32, 33, 100, 257 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void EachSearch_FindsTheFirstMatch_WhereverItIs(int length)
    {
        for (var at = 0; at < length; at++)
        {
            foreach (var value in new byte[] { (byte)'"', (byte)'\\', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)',', 0x00, 0x1F, 0x0A })
            {
                var bytes = Filler(length);
                bytes[at] = value;
                if (at + 3 < length)
                {
                    bytes[at + 3] = value; // a later one too: the first is found
                }

                Check(bytes);
            }
        }
    }

    [Fact]
    public void EveryByteValue_IsFoundOrSkipped_AsTheFrameworkDoes()
    {
        for (var value = 0; value < 256; value++)
        {
            foreach (var at in new[] { 0, 7, 16, 20, 40, 48 }) // 48 and 49: after the last whole block of 16
            {
                var bytes = Filler(50);
                bytes[at] = (byte)value;
                Check(bytes);
            }
        }
    }

    [Fact]
    public void RandomDocuments_AgreeWithTheFramework()
    {
        var random = new Random(1234);
        for (var i = 0; i < 2000; i++)
        {
            var bytes = new byte[random.Next(0, 200)];
            random.NextBytes(bytes);
            for (var j = 0; j < bytes.Length; j++)
            {
                // Mostly text, with the searched bytes now and then.
                bytes[j] = random.Next(10) == 0 ? bytes[j] : (byte)random.Next(0x20, 0x7F);
            }

            Check(bytes);
        }
    }

    private static byte[] Filler(int length) => Enumerable.Range(0, length).Select(i => (byte)('a' + (i % 26))).ToArray();

    private static void Check(byte[] bytes)
    {
        var span = bytes.AsSpan();
        JsonByteSearch.IndexOfQuoteOrBackslash(span).Should().Be(span.IndexOfAny((byte)'"', (byte)'\\'));
        JsonByteSearch.IndexOfControl(span).Should().Be(span.IndexOfAnyInRange((byte)0, (byte)0x1F));
        JsonByteSearch.IndexOfStructural(span).Should().Be(span.IndexOfAny(Structural));
    }
}
