using System.Text;
using Checkpointing.Json;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Damage;

/// <summary>The raw-bytes check behind every load: which escapes and bytes can never be decoded, and where they are.</summary>
public sealed class JsonTextValidationTests
{
    [Theory]
    [InlineData("\"plain\"", -1)]
    [InlineData("\"\\ud83d\\ude00\"", -1)]
    [InlineData("\"\\\\ud800\"", -1)]
    [InlineData("\"\\\\\\\\ud800\"", -1)]
    [InlineData("\"\\u00e9 \\n \\\" \\\\\"", -1)]
    [InlineData("\"\\ud800\"", 1)]
    [InlineData("\"ab\\udc00\"", 3)]
    [InlineData("\"\\\\\\ud800\"", 3)]
    [InlineData("\"\\ud800\\u0041\"", 1)]
    [InlineData("\"\\ud800\\ud800\"", 1)]
    [InlineData("\"x\\u12", 2)]
    public void FindsTheFirstUndecodableEscape(string json, long expected)
    {
        JsonTextValidation.FindUndecodable(Encoding.UTF8.GetBytes(json), out var problem).Should().Be(expected, json);
        (problem is null).Should().Be(expected < 0);
    }

    [Fact]
    public void FindsTheFirstInvalidUtf8Byte()
    {
        byte[] json = [(byte)'"', (byte)'a', 0xC3, 0xA9, (byte)'b', 0xE2, 0x82, (byte)'"'];

        JsonTextValidation.FindUndecodable(json, out var problem).Should().Be(5);
        problem.Should().Contain("UTF-8");
    }
}
