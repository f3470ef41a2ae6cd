#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsApprovedAccess, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsApprovedAccess' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'returns the password as a SecureString by default' {
        $result = Get-AmsApprovedAccess -RequestId 'a-1' -UserSid 'S-1-5-21-1-2-3-1104'
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'access|get|--request-id|a-1|--user-sid|S-1-5-21-1-2-3-1104'
        $result.PSTypeNames[0] | Should -BeExactly 'Ams.AccessGrant'
        $result.Password.Password | Should -BeOfType ([System.Security.SecureString])
        ConvertFrom-AmsTestSecureString $result.Password.Password | Should -BeExactly 'Stub-Pa55word!'
    }

    It 'returns it as text with -AsPlainText' {
        $result = [pscustomobject]@{ RequestId = 'a-2' } | Get-AmsApprovedAccess -UserSid 'S-1-5-21-1-2-3-1104' -AsPlainText
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'access|get|--request-id|a-2|--user-sid|S-1-5-21-1-2-3-1104'
        $result.Password.Password | Should -BeExactly 'Stub-Pa55word!'
    }

    It 'turns a second fetch into an error record with its code' {
        Set-AmsStubResponse -Verb 'access get' -Response @{ exitCode = 4; stderr = @{ error = @{ code = 'AMS-APR-0006'; kind = 'conflict'; message = 'The approved access was already handed out once.'; hint = 'Make a new request.' } } }
        Get-AmsApprovedAccess -RequestId 'a-1' -UserSid 'S-1-5-21-1-2-3-1104' -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'AMS-APR-0006*'
    }
}
