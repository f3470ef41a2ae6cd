#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsMasterKeyStatus, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsMasterKeyStatus' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'runs key status' {
        $status = Get-AmsMasterKeyStatus
        (Get-AmsStubCall).Line | Should -BeExactly 'key status'
        $status.PSTypeNames[0] | Should -BeExactly 'Ams.MasterKeyStatus'
        $status.RecoveryMode | Should -BeFalse
    }
    It 'shows its protectors as objects, not as @{...} text' {
        $protectors = @(
            @{ Id = 'p-1'; Kind = 'host'; Created = '2026-12-01T00:00:00Z'; Kdf = $null }
            @{ Id = 'p-2'; Kind = 'recovery'; Created = '2026-12-01T00:00:00Z'; Kdf = 'argon2id m=65536KiB t=3 p=1' }
        )
        Set-AmsStubResponse -Verb 'key status' -Response @{ stdout = @{ MasterKeyId = 'k-1'; RecoveryMode = $false; Protectors = $protectors; PermissionWarnings = @() } }
        $status = Get-AmsMasterKeyStatus
        $status.Protectors[0].PSTypeNames[0] | Should -BeExactly 'Ams.MasterKeyProtector'
        $status.Protectors[1].ToString() | Should -BeExactly 'recovery p-2 (created 2026-12-01 00:00:00Z), argon2id m=65536KiB t=3 p=1'
        $text = $status | Out-String -Width 200
        $text | Should -Not -Match '@\{'
        $text | Should -Match 'host p-1'
        ($status.Protectors | Format-Table | Out-String) | Should -Match 'recovery\s+p-2'
    }
}
