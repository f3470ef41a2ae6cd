#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Test-AmsDatabaseBackup, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Test-AmsDatabaseBackup' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes the recovery password as a SecureString' {
        (Get-Command Test-AmsDatabaseBackup).Parameters['RecoveryPassword'].ParameterType | Should -Be ([System.Security.SecureString])
        # The test was wrong: PowerShell 7 reports an undeclared ConfirmImpact as 'None'. What matters is that it never asks.
        Get-AmsConfirmImpact Test-AmsDatabaseBackup | Should -BeIn @('', 'None') -Because 'it changes nothing'
        (Get-Command Test-AmsDatabaseBackup).Parameters.ContainsKey('WhatIf') | Should -BeFalse
    }

    It 'passes the file as the positional FILE after --' {
        $file = Join-Path $TestDrive 'ams.amsbak'
        $result = Test-AmsDatabaseBackup -Path $file
        $call = Get-AmsStubCall
        $call.Argv | Should -Be @('db', 'verify', '--', $file)
        $call.Stdin | Should -BeExactly ''
        $result.PSTypeNames[0] | Should -BeExactly 'Ams.DatabaseBackupVerification'
    }

    It 'hands the recovery password to ams on stdin only' {
        $file = Join-Path $TestDrive 'ams.amsbak'
        $null = Test-AmsDatabaseBackup $file -RecoveryPassword (New-AmsTestSecureString 'BackupCanary42')
        $call = Get-AmsStubCall
        $call.Argv | Should -Be @('db', 'verify', '--recovery-password-stdin', '--', $file)
        $call.Stdin | Should -BeExactly "BackupCanary42`n"
        ($call.Argv -join "`n") | Should -Not -Match 'BackupCanary42'
    }

    It 'prompts once for the password with -RecoveryPasswordStdin' {
        Mock -ModuleName AccessManager Read-Host { New-AmsTestSecureString 'Prompted42' }
        $files = @((Join-Path $TestDrive 'a.amsbak'), (Join-Path $TestDrive 'b.amsbak'))
        $null = $files | ForEach-Object { [pscustomobject]@{ Path = $_ } } | Test-AmsDatabaseBackup -RecoveryPasswordStdin
        Should -Invoke -ModuleName AccessManager Read-Host -Times 1 -Exactly
        $calls = @(Get-AmsStubCall)
        $calls.Count | Should -Be 2
        $calls[1].Argv | Should -Be @('db', 'verify', '--recovery-password-stdin', '--', $files[1])
        $calls[1].Stdin | Should -BeExactly "Prompted42`n"
    }

    It 'keeps a file name that starts with a dash a value' {
        $null = Test-AmsDatabaseBackup -Path (Join-Path $TestDrive '-odd.amsbak')
        (Get-AmsStubCall).Argv[2] | Should -BeExactly '--'
    }
}
