using System.Text;
using Checkpointing.Json;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.FileStore.Damage;

/// <summary>
/// The raw-bytes check behind every load: which escapes and bytes can never be decoded (lone surrogates, wherever they
/// sit among other escapes and backslashes), the offset and problem it names, and that it never reads past the end of
/// bytes whose parse failed.
/// </summary>
public sealed class JsonTextValidationTests
{
    private const string LoneLow = "a string holds a \\u escape of a lone low surrogate, which has no UTF-8 form";
    private const string LoneHigh = "a string holds a \\u escape of a lone high surrogate, which has no UTF-8 form";

    [Theory]
    [InlineData(@"""plain""")]
    [InlineData(@"""\u00e9 \n \"" \\""")]
    [InlineData(@"""\u0041\u00e9""")]
    [InlineData(@"""\ud83d\ude00""")]
    [InlineData(@"""\ud83d\ude00\u0041\ud83d\ude00""")]
    [InlineData(@"""\\ud800""")] // an escaped backslash followed by the letters ud800
    [InlineData(@"""\\\\ud800""")]
    public void DecodableStrings_HaveNoProblem(string json)
    {
        JsonTextValidation.FindUndecodable(Encoding.UTF8.GetBytes(json), out var problem).Should().Be(-1, json);
        problem.Should().BeNull();
    }

    [Theory]
    [InlineData(@"""\ud800""", 1, LoneHigh)]
    [InlineData(@"""ab\udc00""", 3, LoneLow)]
    [InlineData(@"""\u0041\udc00""", 7, LoneLow)] // right after another escape
    [InlineData(@"""\ud83d\ude00\udc00""", 13, LoneLow)] // right after a surrogate pair
    [InlineData(@"""\\\ud800""", 3, LoneHigh)] // an escaped backslash, then the escape
    [InlineData(@"""\\\\\udc00""", 5, LoneLow)]
    [InlineData(@"""\ud800x""", 1, LoneHigh)]
    [InlineData(@"""\ud800\u0041""", 1, LoneHigh)]
    [InlineData(@"""\ud800\ud800""", 1, LoneHigh)]
    [InlineData(@"""\ud800xudc00""", 1, LoneHigh)] // the letters of a low surrogate's escape without its backslash
    [InlineData(@"""\ud800\\udc00""", 1, LoneHigh)]
    public void LoneSurrogateEscape_IsReportedAtItsBackslash(string json, long offset, string problem)
    {
        JsonTextValidation.FindUndecodable(Encoding.UTF8.GetBytes(json), out var found).Should().Be(offset, json);
        found.Should().Be(problem);
    }

    [Theory]
    [InlineData(@"\udc00", 0, LoneLow)] // an escape that ends exactly with the bytes is read whole
    [InlineData(@"\ud800\udc00", -1, null)]
    [InlineData(@"\ud800\udc0", 0, LoneHigh)]
    [InlineData(@"\ud800\u", 0, LoneHigh)]
    [InlineData(@"\ud800\", 0, LoneHigh)]
    [InlineData(@"""x\u12", 2, "a \\u escape is cut short")]
    [InlineData(@"\u", 0, "a \\u escape is cut short")]
    public void BytesWhoseParseFailed_AreReadNoFurtherThanTheirEnd(string bytes, long offset, string? problem)
    {
        // After a parse that failed decoding a property name, any bytes may come.
        JsonTextValidation.FindUndecodable(Encoding.ASCII.GetBytes(bytes), out var found).Should().Be(offset, bytes);
        found.Should().Be(problem);
    }

    [Fact]
    public void FindsTheFirstInvalidUtf8Byte()
    {
        byte[] json = [(byte)'"', (byte)'a', 0xC3, 0xA9, (byte)'b', 0xE2, 0x82, (byte)'"'];

        JsonTextValidation.FindUndecodable(json, out var problem).Should().Be(5);
        problem.Should().Be("a string holds bytes that are not valid UTF-8");
    }
}
