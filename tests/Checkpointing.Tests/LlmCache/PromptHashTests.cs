using System.Security.Cryptography;
using System.Text;
using Checkpointing.LlmCache;
using FluentAssertions;
using Xunit;

namespace Checkpointing.Tests.LlmCache;

/// <summary>The prompt-hash key of <see cref="CheckpointManager.GetCachedLlmResponse"/>: the full SHA-256 of the prompt's UTF-8.</summary>
public sealed class PromptHashTests
{
    [Fact]
    public void Of_IsTheFullSha256OfThePrompt() =>
        // sha256("hello") is 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
        PromptHash.Of("hello").ToString().Should().Be("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");

    [Theory]
    [InlineData("é")]
    [InlineData("emoji 🎉 and CJK 漢字")]
    [InlineData(null)]
    public void Of_HashesTheUtf8BytesOfAnyLength(string? prompt)
    {
        prompt ??= new string('x', 20_000) + "é"; // longer than the stack buffer
        var expected = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))).ToLowerInvariant();

        PromptHash.Of(prompt).ToString().Should().Be(expected);
    }
}
